-- The rollups gain an agent column (a hub reads its figures per agent); rows from before are the hub's own ("").
ALTER TABLE "metric_rollups" ADD COLUMN "agent" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "metric_rollups" DROP CONSTRAINT "metric_rollups_resolution_bucket_pk";--> statement-breakpoint
ALTER TABLE "metric_rollups" ADD CONSTRAINT "metric_rollups_resolution_bucket_agent_pk" PRIMARY KEY("resolution","bucket","agent");
