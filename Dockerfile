# The app server image of the reference deployment (compose.yaml). Installs exactly the runtime
# lock (hashes checked), so the image builds the same next month as today.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/readiness

COPY requirements/runtime.txt requirements/runtime.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -qq --require-hashes --no-deps -r requirements/runtime.txt
ENV PATH=/opt/venv/bin:$PATH

COPY app app
COPY migrations migrations
COPY courses courses
COPY quizzes quizzes
COPY babel.cfg gunicorn.conf.py wsgi.py pyproject.toml ./
RUN pybabel compile -q -d app/translations \
 && echo /srv/readiness > "$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/readiness.pth" \
 && useradd --system --uid 10001 --home /var/lib/readiness readiness \
 && mkdir -p /var/lib/readiness && chown readiness /var/lib/readiness

USER readiness
ENV INSTANCE_PATH=/var/lib/readiness FLASK_APP=wsgi.py GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
