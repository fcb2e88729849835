# The `figures` target: every figure of both studies, drawn from the summary tables.
#   snakemake --cores 1 figures
# Plot rules read summaries only, so after a change of a plot setting (config `plots:`) this re-runs
# the plotting rules alone; models, probing and training stay untouched while their outputs are current.


rule figures:
    input:
        get_figures(),
