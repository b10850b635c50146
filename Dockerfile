# dealguard: the decision service under gunicorn.
#   docker build -t dealguard .
#   docker run -p 8000:8000 -e DEALGUARD_SECRET_KEY=... \
#     -e DEALGUARD_DATABASE_URL=postgresql+psycopg://user:pass@db/dealguard dealguard
#
# Two stages: durable-rules is published only as C source, so its wheel is compiled in
# the build stage, which has gcc; the runtime stage installs the finished wheels and has
# no compiler. Both stages must use the same Python (the wheels are built for it).
# The runtime stage mounts the build stage's wheels (RUN --mount): BuildKit, the
# default builder since Docker 23.

FROM python:3.12-slim AS build

RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The lock first, so the wheels stay cached until the lock changes. Its hashes are
# checked when each package is downloaded.
COPY requirements.txt ./
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt
COPY pyproject.toml ./
COPY app ./app
# The console's catalogs, compiled into the package (babel comes with flask-babel).
RUN pip install --no-cache-dir --no-index --find-links /wheels babel \
    && pybabel compile -d app/translations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .


FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEALGUARD_ENV=production \
    DEALGUARD_DATABASE_URL=sqlite:////data/dealguard.db \
    DEALGUARD_POLICY=/srv/dealguard/policies/rules.yaml \
    DEALGUARD_MIGRATIONS=/srv/dealguard/migrations \
    GUNICORN_BIND=0.0.0.0:8000

# Exactly the wheels built above (the lock's packages and dealguard), nothing resolved
# again from an index; pip check proves the set complete.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --no-deps /wheels/*.whl \
    && pip check

WORKDIR /srv/dealguard
# The migrations and the policy beside gunicorn's files; `dealguard db upgrade` finds the
# migrations by DEALGUARD_MIGRATIONS, the service its policy by DEALGUARD_POLICY.
COPY migrations ./migrations
COPY policies ./policies
COPY wsgi.py gunicorn.conf.py ./

RUN useradd --system --no-create-home --home-dir /srv/dealguard dealguard \
    && mkdir -p /data && chown dealguard /data
USER dealguard
VOLUME /data
EXPOSE 8000

# Migrate, then serve; keys are made with `docker exec … dealguard keys create`.
CMD ["sh", "-c", "dealguard db upgrade && exec gunicorn -c gunicorn.conf.py wsgi:app"]
