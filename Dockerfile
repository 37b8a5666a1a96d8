# One image for every service: `python -m vfp_<service>` picks which (see docker-compose.yml).
FROM python:3.11-slim
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY shared shared
COPY services services
COPY ops ops
COPY bench bench
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH" HTTP_HOST=0.0.0.0
