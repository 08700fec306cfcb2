"""docker-compose.yml and .env.example describe the production stack with the settings the app reads.

Docker does not run on CI, so these tests read the files: the services exist, the app containers share
one image and one environment, every variable name is one that psn/settings.py (or the compose file
itself) reads, and the proxy sends traffic to web with the scheme Django trusts.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
PRODUCTION_NAMES = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "PSN_REQUIRE_MFA"}
COMPOSE_ONLY_HEADER = "# === Read by docker-compose.yml only"
ENV_LINE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _settings_names() -> set[str]:
    text = (ROOT / "psn" / "settings.py").read_text()
    # env.str("NAME", ...), env.bool(...), env.db(...), also when the name is on the next line.
    return set(re.findall(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", text))


def _env_example_sections() -> tuple[set[str], set[str]]:
    app_part, _, compose_part = (ROOT / ".env.example").read_text().partition(COMPOSE_ONLY_HEADER)
    return set(ENV_LINE.findall(app_part)), set(ENV_LINE.findall(compose_part))


def _interpolated_names(text: str) -> set[str]:
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))


def test_settings_names_are_found():
    # Guards the parsing below: an empty set would make every other check pass vacuously.
    assert PRODUCTION_NAMES | {"STATICFILES_STORAGE", "PSN_VAR_DIR"} <= _settings_names()


def test_all_services_exist():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "proxy"} <= set(services)


def test_app_services_share_one_image_and_environment():
    services = _compose()["services"]
    first = services[APP_SERVICES[0]]
    assert first["image"] and first["build"]
    for name in (*APP_SERVICES[1:], "migrate"):
        assert services[name]["image"] == first["image"], name
        assert services[name]["build"] == first["build"], name
        assert services[name]["environment"] == first["environment"], name
        assert services[name]["env_file"] == first["env_file"] == ".env", name


def test_app_environment_uses_only_settings_names():
    services = _compose()["services"]
    settings_names = _settings_names()
    for name in (*APP_SERVICES, "migrate"):
        environment = services[name]["environment"]
        unknown = set(environment) - settings_names
        assert not unknown, f"{name} sets variables psn/settings.py does not read: {sorted(unknown)}"
        assert set(environment) >= PRODUCTION_NAMES, name


def test_app_environment_is_production():
    environment = _compose()["services"]["web"]["environment"]
    assert environment["DEBUG"] == "false"
    assert environment["PSN_HTTPS"] == "true"
    assert environment["PSN_BEHIND_PROXY"] == "true"
    assert environment["PSN_REQUIRE_MFA"] == "true"
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379")


def test_env_example_lists_every_setting_and_nothing_else():
    app_names, compose_names = _env_example_sections()
    settings_names = _settings_names()
    assert compose_names, "the compose-only section of .env.example is missing"
    assert app_names == settings_names, (
        f"missing from .env.example: {sorted(settings_names - app_names)}; "
        f"not read by psn/settings.py: {sorted(app_names - settings_names)}"
    )
    compose_text = (ROOT / "docker-compose.yml").read_text()
    for name in compose_names:
        assert "${" + name in compose_text, f"{name} is listed as compose-only but docker-compose.yml never uses it"


def test_every_compose_interpolation_is_documented():
    app_names, compose_names = _env_example_sections()
    used = _interpolated_names((ROOT / "docker-compose.yml").read_text())
    undocumented = used - app_names - compose_names
    assert not undocumented, f"docker-compose.yml reads variables .env.example does not list: {sorted(undocumented)}"


def test_healthchecks():
    services = _compose()["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    assert "/healthz" in services["web"]["healthcheck"]["test"]
    assert (ROOT / "deploy" / "healthcheck.py").is_file()


def test_migrations_run_before_the_app_starts():
    services = _compose()["services"]
    assert "migrate" in services["migrate"]["command"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_data_lives_in_volumes():
    compose = _compose()
    services = compose["services"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    assert any(v.startswith("media:") for v in services["web"]["volumes"])
    assert {"pgdata", "media"} <= set(compose["volumes"])


def test_proxy_forwards_to_web_with_the_scheme():
    services = _compose()["services"]
    proxy = services["proxy"]
    assert "web" in proxy["depends_on"]
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    mounts = [v.split(":") for v in proxy["volumes"]]
    caddyfile = next(ROOT / source for source, target, *_ in mounts if target == "/etc/caddy/Caddyfile")
    text = caddyfile.read_text()
    assert re.search(r"reverse_proxy\s+web:8000\b", text)
    assert re.search(r"header_up\s+X-Forwarded-Proto\s+\{scheme\}", text)
    assert "0.0.0.0:8000" in services["web"]["command"]
    assert "ports" not in services["web"], "web must be reached only through the proxy"


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    undocumented = {name for name in _settings_names() if f"`{name}`" not in readme}
    assert not undocumented, f"README.md's settings table misses: {sorted(undocumented)}"
