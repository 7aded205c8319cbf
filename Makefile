# The two commands of the README. Recipes delegate to scripts in .ci/.
.PHONY: run test bench-ingest
run:
	bash .ci/serve
test:
	bash .ci/test
