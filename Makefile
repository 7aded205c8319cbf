# The commands of the README. Recipes delegate to scripts in .ci/.
.PHONY: run test test-fast bench-ingest
run:
	bash .ci/serve
test:
	bash .ci/test
test-fast:
	bash .ci/test-fast
