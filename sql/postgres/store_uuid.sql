-- The store's UUID, made when it was created.   No parameters.   Caller: team::TeamStore.
select store_uuid::text as store_uuid from store_meta
