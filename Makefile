.PHONY: run test test-all lint bench evaluate retrain worker beat
run:        ; ./scripts/run.sh
test:       ; ./scripts/test.sh
test-all:   ; ./scripts/test.sh --all
lint:       ; .venv/bin/ruff check . && .venv/bin/ruff format --check .
bench:      ; for f in bench/bench_*.py; do .venv/bin/python $$f; done
evaluate:   ; .venv/bin/python manage.py evaluate --out docs/evaluation
retrain:    ; .venv/bin/python manage.py retrain --sync
# real workers need a broker: prod settings, variables from .env (see .env.example)
worker:     ; DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-shop.settings.prod} .venv/bin/celery -A shop worker -Q default,ml -l info
beat:       ; DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-shop.settings.prod} .venv/bin/celery -A shop beat -l info
