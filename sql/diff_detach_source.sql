-- Detaches `src`.   No parameters.   Caller: diff.
detach database src
