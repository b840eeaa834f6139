# ganwatch server. CPU by default; for CUDA build with a CUDA runtime base that has Python 3.11:
#   docker build --build-arg BASE=<cuda-python-3.11-image> -t ganwatch:cuda .
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 ganwatch
WORKDIR /srv/ganwatch

# Dependencies first, so code edits do not reinstall torch.
COPY pyproject.toml README.md ./
COPY gan_core ./gan_core
COPY app ./app
RUN pip install ".[ray]" && rm -rf build *.egg-info
# Pages and their assets are read from the source tree next to the app package.
COPY templates ./templates
COPY static ./static

# Inside the container only: listen on all interfaces so the published port works.
# Anyone who can reach that port can launch runs: set GANWATCH_TOKEN when it is not private.
ENV GANWATCH_HOST=0.0.0.0 \
    GANWATCH_PORT=8000 \
    GANWATCH_DB=/var/lib/ganwatch/ganwatch.db \
    GANWATCH_RUNS_DIR=/var/lib/ganwatch/runs \
    GANWATCH_DATA_DIR=/var/lib/ganwatch/data
RUN mkdir -p /var/lib/ganwatch/runs /var/lib/ganwatch/data \
    && chown -R ganwatch:ganwatch /var/lib/ganwatch
VOLUME ["/var/lib/ganwatch"]

USER ganwatch
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"

# `python -m` puts the working directory first on sys.path: the source tree's app package
# (next to templates/ and static/) is the one served.
CMD ["python", "-m", "app.cli", "serve"]
