-- The rollups gain an agent column (a hub reads its figures per agent); rows from before are this Moat's own ("").
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_metric_rollups` (
	`resolution` text NOT NULL,
	`bucket` integer NOT NULL,
	`agent` text DEFAULT '' NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`flagged` integer DEFAULT 0 NOT NULL,
	`blocked` integer DEFAULT 0 NOT NULL,
	`errors_5xx` integer DEFAULT 0 NOT NULL,
	`response_time_sum` real DEFAULT 0 NOT NULL,
	`response_time_count` integer DEFAULT 0 NOT NULL,
	`by_type` text DEFAULT '{}' NOT NULL,
	PRIMARY KEY(`resolution`, `bucket`, `agent`)
);
--> statement-breakpoint
INSERT INTO `__new_metric_rollups`("resolution", "bucket", "agent", "requests", "flagged", "blocked", "errors_5xx", "response_time_sum", "response_time_count", "by_type") SELECT "resolution", "bucket", '', "requests", "flagged", "blocked", "errors_5xx", "response_time_sum", "response_time_count", "by_type" FROM `metric_rollups`;--> statement-breakpoint
DROP TABLE `metric_rollups`;--> statement-breakpoint
ALTER TABLE `__new_metric_rollups` RENAME TO `metric_rollups`;--> statement-breakpoint
PRAGMA foreign_keys=ON;