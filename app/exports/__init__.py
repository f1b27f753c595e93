"""The coordinating centre's merged, analysis-ready dataset, its codebook, quality report and summary.

`service.run_export` is the one entry point for exports (CLI, API, pages); `quality` and `summary`
build reports from the same scoped snapshot of the data.
"""
