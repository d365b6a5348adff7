from neonwatch.cli import app

app(prog_name="neonwatch")
