CREATE TABLE `allowlist` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`endpoint` text NOT NULL,
	`field` text,
	`attack_type` text,
	`note` text DEFAULT '' NOT NULL,
	`threat_id` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `bans` (
	`ip` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`source` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `bans_expires` ON `bans` (`expires_at`);