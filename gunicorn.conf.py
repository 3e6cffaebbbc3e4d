"""gunicorn's settings file, read from the working directory by `gunicorn shop.wsgi` (Dockerfile,
docker-compose, bench/bench_serving_http.py); command-line flags still add to it.

The Server header: gunicorn writes `Server: gunicorn` on every response and has no setting for it
(its maintainers declined one: benoitc/gunicorn#825). The header's value is the module global
`gunicorn.http.wsgi.SERVER`, read for each response, so setting it here, in the master before the
workers fork, names no server software (issue 13, defect 10; tests/shop/test_security_headers.py).
"""

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "shop"
