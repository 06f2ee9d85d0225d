-- Where a batch came from, to name it in messages.
-- ?1 batch_id.   Caller: catalog::import.
select source_path from import_batches where batch_id = ?1
