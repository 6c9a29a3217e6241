.PHONY: check test quickstart
check:        ## lint, format, types and tests
	bash scripts/check
test:         ## the whole test suite
	bash scripts/test
quickstart:   ## the main job, on an embedded home
	.venv/bin/opsloop quickstart --reset
