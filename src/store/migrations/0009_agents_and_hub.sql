CREATE TABLE `agent_cursors` (
	`agent` text NOT NULL,
	`instance` text NOT NULL,
	`seq` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`agent`, `instance`)
);
--> statement-breakpoint
CREATE INDEX `agent_cursors_updated` ON `agent_cursors` (`updated_at`);--> statement-breakpoint
CREATE TABLE `agents` (
	`name` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`version` text NOT NULL,
	`sources` text NOT NULL,
	`outbox_batches` integer NOT NULL,
	`outbox_requests` integer NOT NULL,
	`dropped` integer NOT NULL,
	`lag_seconds` real NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`last_batch_at` integer
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`instance` text NOT NULL,
	`requests` integer NOT NULL,
	`payload` text NOT NULL,
	`chars` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `threats` ADD `agent` text;--> statement-breakpoint
ALTER TABLE `traffic` ADD `agent` text;