"""Environment for the test run, set before Django reads its settings (loaded with `-p tests.env`)."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 50)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("PSN_HTTPS", "false")
os.environ.setdefault("PSN_REQUIRE_MFA", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("PSN_VAR_DIR", tempfile.mkdtemp(prefix="psn-test-var-"))
