# The two commands a user needs: `make demo` (deploy to the local emulator) and `make test` (every test).
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
export ANSIBLE_FORCE_COLOR ?= 1

.PHONY: help venv docker up demo deploy migrate down test lint sanity docs-lint unit mutation molecule benchmark clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

venv:  ## Create .venv/ (Python >= 3.12) with the pinned requirements
	@bash scripts/venv.sh

docker:  ## Make a Docker engine and a base image available (starts dockerd when none runs)
	@bash scripts/docker-engine.sh start
	@bash scripts/base-image.sh >/dev/null

up: venv docker  ## Start the local stack: the emulator with its runtime (DJANGO_ECS_LOCAL_RUNTIME=off: plain moto) and the registry
	@bash scripts/moto.sh start
	@bash scripts/registry.sh start

demo: up  ## Deploy the whole stack to the local emulator (site.yml migrates before the rollout), print the summary
	DJANGO_ECS_BASE_IMAGE="$$(bash scripts/base-image.sh)" $(BIN)/ansible-playbook site.yml
	@echo "The emulator keeps running: run 'make demo' or '$(BIN)/ansible-playbook site.yml' again (changed=0), 'make down' to stop."

down:  ## Stop the emulator (removing its containers and databases), the registry and a Docker engine that we started
	@bash scripts/moto.sh stop
	@bash scripts/registry.sh stop
	@bash scripts/docker-engine.sh stop

test: venv  ## Run every test: lint, unit, Django, image, emulator integration, sanity, molecule
	@bash tests/run.sh

unit: venv  ## pytest unit tests only (stubbed AWS clients; seconds)
	$(BIN)/pytest tests/unit -q

sanity: venv  ## Every ansible-test sanity test on a temporary collection copy (SANITY_TESTS="pep8 pylint" for a few)
	@SANITY_TESTS="$${SANITY_TESTS:-all}" bash scripts/sanity.sh

docs-lint: venv  ## antsibull-docs lint of the plugins' and roles' docs (as the Ansible docsite renders them)
	@bash scripts/docs-lint.sh

benchmark: venv  ## Wall time, tasks and AWS calls of the common runs (no-op site.yml, --tags alb, --tags migrate, ...) against `make demo`'s stack
	$(BIN)/python scripts/benchmark.py

mutation: venv  ## mutmut over plugins/module_utils/ and plugins/modules/ against tests/unit, score per file (~15 min; not in `make test`)
	@bash scripts/mutation.sh

lint: venv  ## ruff and ansible-lint (production profile)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint

clean: down  ## Remove the virtualenv and local state
	rm -rf $(VENV) .run
