CREATE TABLE `activities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`type` text NOT NULL,
	`title` text NOT NULL,
	`details` text NOT NULL,
	`ip` text,
	`endpoint` text
);
--> statement-breakpoint
CREATE INDEX `activities_time` ON `activities` (`time`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`severity` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`source` text NOT NULL,
	`group_key` text NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alerts_status_last` ON `alerts` (`status`,`last_seen`);--> statement-breakpoint
CREATE INDEX `alerts_group` ON `alerts` (`group_key`,`status`);--> statement-breakpoint
CREATE TABLE `counters` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metric_rollups` (
	`resolution` text NOT NULL,
	`bucket` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`flagged` integer DEFAULT 0 NOT NULL,
	`blocked` integer DEFAULT 0 NOT NULL,
	`errors_5xx` integer DEFAULT 0 NOT NULL,
	`response_time_sum` real DEFAULT 0 NOT NULL,
	`response_time_count` integer DEFAULT 0 NOT NULL,
	`by_type` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`resolution`, `bucket`)
);
--> statement-breakpoint
CREATE TABLE `model_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version` text NOT NULL,
	`kind` text NOT NULL,
	`path` text NOT NULL,
	`active` integer DEFAULT false NOT NULL,
	`metrics` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_version_unique` ON `model_versions` (`version`);--> statement-breakpoint
CREATE TABLE `security_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`message` text NOT NULL,
	`details` text,
	`last_checked` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `security_checks_key_unique` ON `security_checks` (`key`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (unixepoch() * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tail_checkpoints` (
	`path` text PRIMARY KEY NOT NULL,
	`checkpoint` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `threats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`client_ip` text NOT NULL,
	`method` text NOT NULL,
	`endpoint` text NOT NULL,
	`attack_type` text NOT NULL,
	`severity` text NOT NULL,
	`score` real NOT NULL,
	`threshold` real NOT NULL,
	`blocked` integer DEFAULT false NOT NULL,
	`reasons` text NOT NULL,
	`request` text NOT NULL,
	`model_version` text NOT NULL,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `threats_time` ON `threats` (`time`);--> statement-breakpoint
CREATE INDEX `threats_ip_time` ON `threats` (`client_ip`,`time`);--> statement-breakpoint
CREATE INDEX `threats_type_time` ON `threats` (`attack_type`,`time`);--> statement-breakpoint
CREATE TABLE `traffic` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`time` integer NOT NULL,
	`client_ip` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`query` text NOT NULL,
	`status` integer,
	`bytes_sent` integer,
	`request_time` real,
	`user_agent` text NOT NULL,
	`score` real NOT NULL,
	`is_anomaly` integer NOT NULL,
	`attack_type` text,
	`source` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `traffic_time` ON `traffic` (`time`);--> statement-breakpoint
CREATE INDEX `traffic_anomaly_time` ON `traffic` (`is_anomaly`,`time`);