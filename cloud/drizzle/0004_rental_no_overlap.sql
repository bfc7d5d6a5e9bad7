-- No double booking: two active allocations of the same device may not have overlapping periods.
-- int4range(device_no, device_no, '[]') WITH && stands for device_no WITH = using the built-in GiST
-- range opclass, so this needs no btree_gist extension (a PGlite opened without extensions, as
-- several harnesses do, migrates the same way as PostgreSQL).
ALTER TABLE "rental_allocations" ADD CONSTRAINT "rental_allocations_no_overlap" EXCLUDE USING gist (int4range("device_no", "device_no", '[]') WITH &&, "period" WITH &&) WHERE ("active");
