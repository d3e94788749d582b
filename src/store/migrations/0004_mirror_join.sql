ALTER TABLE `threats` ADD `request_id` text;--> statement-breakpoint
CREATE UNIQUE INDEX `threats_request_id` ON `threats` (`request_id`);--> statement-breakpoint
ALTER TABLE `traffic` ADD `blocked` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `traffic` ADD `request_id` text;--> statement-breakpoint
ALTER TABLE `traffic` ADD `partial` text;--> statement-breakpoint
CREATE UNIQUE INDEX `traffic_request_id` ON `traffic` (`request_id`);