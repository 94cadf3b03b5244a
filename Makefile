# Dialogue: everyday commands.
#
#   make demo    install, load the demo data and serve on http://127.0.0.1:8000
#   make test    everything CI checks: lint, migrations, deploy check, tests on SQLite and PostgreSQL
#
# Each target installs what it needs (the virtualenv, Python and Debian packages).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(abspath $(VENV))/bin
DIALOGUE := $(BIN)/dialogue
PYTEST_ARGS ?=

HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2

# The demo always runs on the embedded SQLite database, with tasks (e-mails to
# the console) run at once instead of by a worker.
DEMO_ENV := env -u DATABASE_URL -u DIALOGUE_ENV -u DEBUG \
	TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend
# The test suites choose their own database and never run with production settings.
# (test-sqlite and test-postgres also set DIALOGUE_REQUIRE_BROWSER=1: the browser tests
# fail, rather than skip, when chromium or axe-core is missing.)
TEST_ENV := env -u DIALOGUE_ENV -u DEBUG

DEMO_DEBIAN_PACKAGES := gettext libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The browser tests take axe-core from npm; Debian's npm is installed only when there is none.
NPM_DEBIAN_PACKAGES := $(if $(shell command -v npm),,nodejs npm)
TEST_DEBIAN_PACKAGES := gettext postgresql-15 libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	chromium $(NPM_DEBIAN_PACKAGES)

.PHONY: help demo test lint format messages compilemessages check-migrations check-deploy check-messages check-security \
	check-fuzz check-dependencies fuzz nightly test-both test-sqlite test-postgres bench install install-test clean distclean

help:
	@echo "make demo          install, load the demo data and serve on http://$(HOST):$(PORT)"
	@echo "make test          lint, migration and deploy checks, tests on SQLite and PostgreSQL"
	@echo "make test-sqlite   the test suite on SQLite only (PYTEST_ARGS=... to pass options)"
	@echo "make test-postgres the test suite on a throwaway PostgreSQL cluster only"
	@echo "make bench         time counting, search, the Discussion Note, and the server under load"
	@echo "make fuzz          fuzz each parser for a million runs or ten minutes (FUZZ_ARGS=... to change)"
	@echo "make check-fuzz    fuzz each parser for a few seconds, as make test does"
	@echo "make nightly       the long runs: crash tests of 10,000 submissions, backups under load, make fuzz"
	@echo "make check-dependencies  security-sensitive dependencies on their newest patch (asks the index)"
	@echo "make lint          ruff check and ruff format --check"
	@echo "make format        sort imports and format the code with ruff"
	@echo "make messages      update the French and Spanish .po files, then compile them"
	@echo "make clean         remove generated files (demo database, static files, caches)"
	@echo "make distclean     clean, and remove the virtualenv too"

# --- installation -----------------------------------------------------------

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 not found)." >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' \
		|| { echo "$(PYTHON) is not Python 3.11 or 3.12." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
	@bash tools/ensure-debian-packages $(DEMO_DEBIAN_PACKAGES)

# axe-core (package-lock.json) goes into node_modules/, again whenever the lock file changes.
install-test: $(VENV)/.installed-test
	@bash tools/ensure-debian-packages $(TEST_DEBIAN_PACKAGES)
	@if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.installed ]; then \
		echo "npm ci --no-audit --no-fund"; \
		npm ci --no-audit --no-fund; \
		touch node_modules/.installed; \
	fi

# --- translations -----------------------------------------------------------

# Run from inside the package so that only its own locale directory is searched.
compilemessages: install
	@if compgen -G 'dialogue/locale/*/LC_MESSAGES/*.po' >/dev/null; then \
		cd dialogue && $(DIALOGUE) compilemessages --verbosity 0; \
		echo "Translations compiled."; \
	else \
		echo "No translations to compile yet (dialogue/locale/*/LC_MESSAGES/django.po)."; \
	fi

MAKEMESSAGES := makemessages -l fr -l es --no-obsolete --ignore '*/tests/*'

messages: install
	cd dialogue && $(DIALOGUE) $(MAKEMESSAGES)
	@$(MAKE) compilemessages

# Every string in the code has a French and a Spanish translation: extract the
# messages into a scratch copy of the catalogues and fail on anything untranslated.
check-messages: install
	@echo "==> Translations complete"
	@backup=$$(mktemp -d); cp -a dialogue/locale "$$backup/"; status=0; \
	(cd dialogue && $(DIALOGUE) $(MAKEMESSAGES) --verbosity 0) || status=$$?; \
	for po in dialogue/locale/*/LC_MESSAGES/django.po; do \
		stats=$$(msgfmt --check --statistics -o /dev/null "$$po" 2>&1) || status=1; \
		echo "$$po: $$stats"; \
		case "$$stats" in *untranslated*|*fuzzy*) status=1;; esac; \
	done; \
	rm -rf dialogue/locale; cp -a "$$backup/locale" dialogue/; rm -rf "$$backup"; \
	if [ $$status -ne 0 ]; then echo "Run 'make messages' and translate the new entries."; fi; \
	exit $$status

# --- demo -------------------------------------------------------------------

demo: install compilemessages
	@mkdir -p "$${DIALOGUE_DATA_DIR:-var}"
	$(DEMO_ENV) $(DIALOGUE) migrate --noinput --verbosity 0
	$(DEMO_ENV) $(DIALOGUE) load-demo
	$(DEMO_ENV) $(DIALOGUE) collectstatic --noinput --verbosity 0
	@echo
	@echo "Dialogue is running at http://$(HOST):$(PORT) (Ctrl+C to stop)."
	@echo
	$(DEMO_ENV) $(BIN)/gunicorn dialogue.wsgi -b $(HOST):$(PORT) -w $(WORKERS)

# --- checks and tests -------------------------------------------------------

test: install-test compilemessages lint check-migrations check-deploy check-messages check-security check-fuzz \
	test-both
	@echo
	@echo "All checks passed."

# The two databases' suites run side by side (each waits on its database and browser much of
# the time); each one's output is shown as it comes, its lines marked with the database's name.
test-both: install-test compilemessages
	@echo "==> Test suites on SQLite and PostgreSQL, side by side"
	@set +e; \
	$(MAKE) test-sqlite 2>&1 | sed -u 's/^/[sqlite] /' & sqlite=$$!; \
	$(MAKE) test-postgres 2>&1 | sed -u 's/^/[postgres] /' & postgres=$$!; \
	wait $$sqlite; sqlite_status=$$?; wait $$postgres; postgres_status=$$?; \
	echo "SQLite suite: $$( [ $$sqlite_status -eq 0 ] && echo passed || echo FAILED )"; \
	echo "PostgreSQL suite: $$( [ $$postgres_status -eq 0 ] && echo passed || echo FAILED )"; \
	[ $$sqlite_status -eq 0 ] && [ $$postgres_status -eq 0 ]

# Static analysis: bandit finds nothing of medium severity and confidence or above.
check-security: install-test
	@echo "==> bandit"
	$(BIN)/bandit -q -r dialogue -x '*/tests/*,*/migrations/*' \
		--severity-level medium --confidence-level medium

lint: install-test
	@echo "==> ruff"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

check-migrations: install
	@echo "==> Migrations match the models"
	env DATABASE_URL=sqlite://:memory: $(DIALOGUE) makemigrations --check --dry-run

# Production settings with a fresh random key: any warning fails.
check-deploy: install
	@echo "==> Deployment check with production settings"
	env -u DEBUG DIALOGUE_ENV=production ALLOWED_HOSTS=dialogue.example.org \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
		$(DIALOGUE) check --deploy --fail-level WARNING

test-sqlite: install-test compilemessages
	@echo "==> Test suite on SQLite"
	@start=$$SECONDS; \
	status=0; $(TEST_ENV) -u DATABASE_URL HYPOTHESIS_PROFILE=ci DIALOGUE_REQUIRE_BROWSER=1 $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) || status=$$?; \
	echo "SQLite run: $$((SECONDS - start)) s"; exit $$status

test-postgres: install-test compilemessages
	@echo "==> Test suite on PostgreSQL"
	@start=$$SECONDS; \
	status=0; $(TEST_ENV) PYTHON=$(BIN)/python HYPOTHESIS_PROFILE=ci-postgres DIALOGUE_REQUIRE_BROWSER=1 bash tools/with-postgres $(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS) || status=$$?; \
	echo "PostgreSQL run: $$((SECONDS - start)) s"; exit $$status

# --- fuzzing ----------------------------------------------------------------

# One script per parser in fuzz/ (see fuzz/common.py), run by libFuzzer through atheris.
# A target starts from its seeds in fuzz/corpus/<target>/ and adds what it finds to a
# corpus under build/fuzz/; an input that crashes it is written to build/fuzz/<target>/.
FUZZ_TARGETS := ballot member_file note filename deadline
FUZZ_DIR := build/fuzz
FUZZ_ARGS ?= -runs=1000000 -max_total_time=600
CHECK_FUZZ_ARGS ?= -runs=30000 -max_total_time=8 -seed=1

# fuzz_one TARGET CORPUS ARGS: run one target with libFuzzer's ARGS, new inputs kept in CORPUS.
fuzz_one = mkdir -p $(FUZZ_DIR)/$(1) $(2) && \
	$(TEST_ENV) $(BIN)/python fuzz/fuzz_$(1).py $(3) -artifact_prefix=$(FUZZ_DIR)/$(1)/ \
		$(if $(wildcard fuzz/$(1).dict),-dict=fuzz/$(1).dict) $(2) fuzz/corpus/$(1)

# Every target runs even when one fails; the summary names those that found a crash.
fuzz: install-test compilemessages
	@failed=; \
	$(foreach target,$(FUZZ_TARGETS),echo "==> Fuzzing $(target)"; \
		$(call fuzz_one,$(target),$(FUZZ_DIR)/$(target)/corpus,$(FUZZ_ARGS)) 2>&1 \
		| grep --line-buffered -v '^INFO: Instrumenting' || failed="$$failed $(target)";) \
	if [ -n "$$failed" ]; then echo "Crashes found by:$$failed (inputs in $(FUZZ_DIR)/)"; exit 1; fi; \
	echo "No crash in any target."

# A few seconds per target from the seeds only (a fresh corpus each time), libFuzzer's
# output shown only for a target that fails.
check-fuzz: install-test compilemessages
	@echo "==> Fuzzing the parsers briefly"
	@mkdir -p $(FUZZ_DIR)
	@$(foreach target,$(FUZZ_TARGETS),rm -rf $(FUZZ_DIR)/check/$(target); \
		start=$$SECONDS; \
		if ! ($(call fuzz_one,$(target),$(FUZZ_DIR)/check/$(target),$(CHECK_FUZZ_ARGS))) \
			>$(FUZZ_DIR)/check-$(target).log 2>&1; then \
			grep -v '^INFO: Instrumenting' $(FUZZ_DIR)/check-$(target).log | tail -40; \
			echo "fuzz_$(target) crashed; the input is in $(FUZZ_DIR)/$(target)/"; exit 1; \
		fi; \
		echo "fuzz_$(target): $$(grep -o 'Done [0-9]* runs' $(FUZZ_DIR)/check-$(target).log \
			| cut -d' ' -f2) runs, $$((SECONDS - start)) s";)

# --- the long runs -----------------------------------------------------------

# What is too long for every change: the crash test with 10,000 acknowledged submissions
# and at least 50 kills landing mid-request on each database; on PostgreSQL once with the
# database itself stopped (immediate mode) every 10 seconds as well, and once with a
# backup a minute for at least ten minutes, each restored and checked; a run that stops at
# its time limit short of these fails. Then the negative control (a build answering
# before it commits) must be caught in 3 runs of 3, and every fuzzer runs ten minutes.
NIGHTLY_CRASH_ARGS ?= --ballots 10000 --kill-every 2 --min-kills-mid-request 50 --time-limit 3600
nightly: install-test compilemessages check-dependencies
	@echo "==> Crash test on SQLite"
	$(TEST_ENV) -u DATABASE_URL $(BIN)/python tools/crashtest.py --db sqlite $(NIGHTLY_CRASH_ARGS)
	@echo "==> Crash test on PostgreSQL, the database stopped every 10 s as well"
	$(TEST_ENV) PYTHON=$(BIN)/python bash tools/with-postgres $(BIN)/python tools/crashtest.py \
		--db postgres $(NIGHTLY_CRASH_ARGS) --pg-immediate-every 10 --pg-data auto \
		--max-pg-recovery 10
	@echo "==> Crash test on PostgreSQL, with a backup a minute"
	$(TEST_ENV) PYTHON=$(BIN)/python bash tools/with-postgres $(BIN)/python tools/crashtest.py \
		--db postgres $(NIGHTLY_CRASH_ARGS) --backup-every 60 --min-backups 10
	@echo "==> Negative control: a build that answers before it commits is caught, 3 runs of 3"
	@for run in 1 2 3; do \
		$(TEST_ENV) -u DATABASE_URL $(BIN)/python tools/crashtest.py --db sqlite --broken \
			--ballots 100 --clients 4 --kill-every 1.5 --min-kills 3 --time-limit 300 || exit 1; \
	done
	@$(MAKE) fuzz

# The security-sensitive dependencies are on the newest patch release of their series
# (Django's lowest allowed version too); asks the package index, so not in `make test`.
check-dependencies: install-test
	$(BIN)/python tools/check-dependencies.py

# --- benchmarks -------------------------------------------------------------

# Runs every benchmark, then fails when a measurement missed its target (see
# bench/README.md). The load benchmark (gunicorn and wrk on a throwaway PostgreSQL
# cluster) writes bench/RESULTS.md; the deadline spike, the sustained load and the log-in
# attack write bench/RESULTS-spike.md, RESULTS-sustained.md and RESULTS-login.md.
bench: install-test
	@bash tools/ensure-debian-packages postgresql-15 wrk
	@status=0; for script in tally search note load spike sustained login_attack; do \
		echo "==> bench/$$script.py"; $(BIN)/python bench/$$script.py || status=1; \
	done; \
	if [ $$status -ne 0 ]; then echo "Some benchmarks missed a target (see above)."; fi; \
	exit $$status

# --- housekeeping -----------------------------------------------------------

clean:
	rm -rf var build dist reports .pytest_cache .ruff_cache .hypothesis
	rm -rf *.egg-info dialogue/*.egg-info
	find dialogue tools fuzz -name __pycache__ -type d -prune -exec rm -rf {} +
	find dialogue -name '*.mo' -path '*/locale/*' -delete

distclean: clean
	rm -rf $(VENV) node_modules
