# RMSProp Lab in one container: docker build -t rmsprop-lab . && docker run -p 8501:8501 rmsprop-lab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 lab
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=lab:lab app.py ./
COPY --chown=lab:lab pages ./pages
COPY --chown=lab:lab rmsprop_core ./rmsprop_core
COPY --chown=lab:lab rmsprop_lab ./rmsprop_lab
COPY --chown=lab:lab .streamlit ./.streamlit

USER lab
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once it serves; the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read().strip() == b'ok' else 1)"

CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
