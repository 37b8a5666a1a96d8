# Victim Feedback Panel platform: `make run` for a panel cycle, `make test` for the suite.
SHELL := /bin/bash
UV_VERSION := 0.13.8
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
export UV_LINK_MODE := copy

.PHONY: help install up down status test lint bench contracts run demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	@deploy/install-uv.sh $(UV_VERSION)

install: $(UV) ## install Python and the locked dependencies into .venv
	@$(UV) sync --frozen --quiet

up: ## start Kafka and PostgreSQL (local processes; idempotent)
	@deploy/stack.sh up

down: ## stop Kafka and PostgreSQL
	@deploy/stack.sh down

status: ## show whether Kafka and PostgreSQL run
	@deploy/stack.sh status

# Targets that need the servers run through deploy/with-stack.sh: the local stack (started when
# needed), or the servers KAFKA_BOOTSTRAP_SERVERS and DATABASE_URL name when both are set.
STACK := deploy/with-stack.sh

test: install lint ## lint, then every test against the real Kafka and PostgreSQL
	@$(STACK) $(UV) run pytest

lint: install ## ruff and mypy
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@$(UV) run mypy
	@for service in services/*/; do $(UV) run mypy "$$service" || exit 1; done

bench: install ## events/s through the whole pipeline next to a raw aiokafka+asyncpg loop
	@$(STACK) $(UV) run python -m vfp_bench

contracts: install ## snapshot the schema of new event contracts and regenerate the AsyncAPI docs
	@$(UV) run python -m vfp_shared.contracts.snapshot
	@$(UV) run python -m vfp_shared.asyncapi_docs

run: install ## bring up the whole platform, run a panel cycle, keep it up until Ctrl-C
	@$(STACK) $(UV) run vfp run

demo: install ## run one panel cycle end to end and exit (0 only if every stage completed)
	@$(STACK) $(UV) run vfp demo

clean: ## stop the stack and delete its state
	@deploy/stack.sh reset
