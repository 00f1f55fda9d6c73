"""Quality and speed benchmarks: a labelled corpus generator, metrics and scripts."""
