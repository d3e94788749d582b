ALTER TABLE `threats` ADD `acknowledged_at` integer;--> statement-breakpoint
ALTER TABLE `traffic` ADD `host` text;