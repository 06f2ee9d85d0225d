-- Attaches the real store read-only as `src`.   ?1 its file: URI (mode=ro).   Caller: diff.
attach database ?1 as src
