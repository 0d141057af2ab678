"""A pseudonymised, Parquet pool of several authorities' data, computed on DuckDB or Spark (docs/pool.md)."""
