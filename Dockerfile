# dealguard: the decision service under gunicorn.
#   docker build -t dealguard .
#   docker run -p 8000:8000 -e DEALGUARD_SECRET_KEY=... \
#     -e DEALGUARD_DATABASE_URL=postgresql+psycopg://user:pass@db/dealguard dealguard
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEALGUARD_ENV=production \
    DEALGUARD_DATABASE_URL=sqlite:////data/dealguard.db \
    DEALGUARD_POLICY=/srv/dealguard/policies/rules.yaml \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /srv/dealguard
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install --no-cache-dir -e .
# Migrations and the policy live beside the package (dealguard db upgrade finds them here).
COPY migrations ./migrations
COPY policies ./policies
COPY wsgi.py gunicorn.conf.py ./

RUN useradd --system --home /srv/dealguard dealguard && mkdir -p /data \
    && chown dealguard /data
USER dealguard
VOLUME /data
EXPOSE 8000

# Migrate, then serve; keys are made with `docker exec … dealguard keys create`.
CMD ["sh", "-c", "dealguard db upgrade && exec gunicorn -c gunicorn.conf.py wsgi:app"]
