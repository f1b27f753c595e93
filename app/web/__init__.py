"""Server-rendered pages for site data managers and monitors (Jinja2, a little vendored JavaScript)."""
