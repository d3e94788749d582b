ALTER TABLE `threats` ADD `incident_id` integer;--> statement-breakpoint
CREATE INDEX `threats_incident` ON `threats` (`incident_id`);