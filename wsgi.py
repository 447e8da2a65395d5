"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask CLI (`flask --app wsgi ...`)."""

from dotenv import load_dotenv

from app import create_app

load_dotenv()  # a .env beside the code configures the app, as in Docker Compose
app = create_app()
