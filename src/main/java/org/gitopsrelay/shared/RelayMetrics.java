package org.gitopsrelay.shared;

/** Every metric name of the service, in one place; documented in docs/metrics.md. */
public final class RelayMetrics {

    /** Webhook deliveries by provider and outcome (accepted, ignored, ping, or the error reason). */
    public static final String WEBHOOK_DELIVERIES = "relay.webhook.deliveries";
    /** Time to write an event to Kafka and get its acknowledgement. */
    public static final String KAFKA_SEND = "relay.kafka.send";
    /** Git events handled, by type and outcome (committed, unchanged, stale, ignored, failed, dead-lettered). */
    public static final String EVENTS_HANDLED = "relay.events.handled";
    /** Events sent to relay.dead-letter, by reason. */
    public static final String DEAD_LETTERS = "relay.dead.letters";
    /** Handler attempts that failed with a retryable reason and were tried again. */
    public static final String HANDLER_RETRIES = "relay.handler.retries";
    /** Records per batch the handlers took from relay.git-events: it grows with the backlog. */
    public static final String BATCH_SIZE = "relay.handler.batch.size";
    public static final String CLAIMED_TIMES_CLAMPED = "relay.claimed.times.clamped";
    public static final String GIT_FETCH = "relay.git.fetch";
    public static final String GIT_PUSH = "relay.git.push";
    /** Packings of the cache and the local GitOps repository, by repository and outcome (packed, failed). */
    public static final String GIT_PACKING = "relay.git.packing";
    /** Pushes rejected because another writer pushed first (each is re-applied). */
    public static final String GIT_PUSH_CONFLICTS = "relay.git.push.conflicts";
    public static final String RENDER = "relay.render";
    /** Overlay checks that reused an earlier passed render of the same files but for the image tag. */
    public static final String RENDERS_REUSED = "relay.render.reused";
    /** Apps whose app.yaml is valid. */
    public static final String APPS_REGISTERED = "relay.apps.registered";
    /** Apps whose app.yaml cannot be used (1 per app, tagged with the app). */
    public static final String APPS_INVALID = "relay.apps.invalid";
    /** Deployment events seen by the monitor role, by app, environment and outcome. */
    public static final String DEPLOYMENTS = "relay.deployments";
    /** Time from the webhook's acceptance to the pushed GitOps commit, as seen by the monitor role. */
    public static final String DEPLOYMENT_LEAD_TIME = "relay.deployment.lead.time";

    /** DORA deployment frequency: deployments by app, environment and outcome. */
    public static final String DORA_DEPLOYMENTS = "relay.dora.deployments";
    /** DORA lead time for changes: source commit → GitOps commit ({@code stage=committed}), later → live. */
    public static final String DORA_LEAD_TIME = "relay.dora.lead.time";
    /** DORA change failures: failed (later rolled back or degraded) deployments. */
    public static final String DORA_CHANGE_FAILURES = "relay.dora.change.failures";
    /** DORA failed deployment recovery time: first failure → next successful deployment of that environment. */
    public static final String DORA_RECOVERY_TIME = "relay.dora.recovery.time";
    /** Backup and restore reports, by app, environment, kind (backup, restore) and outcome (succeeded, failed). */
    public static final String BACKUPS = "relay.backups";
    /** When an environment's latest successful backup finished (epoch seconds); kept across restarts. */
    public static final String BACKUP_LAST_SUCCESS = "relay.backup.last.success.timestamp.seconds";
    /** 1 for each environment of an app with a database: one that should be backed up. */
    public static final String BACKUP_EXPECTED = "relay.backup.expected";
    /** Size of each successful backup's dump. */
    public static final String BACKUP_SIZE = "relay.backup.size";
    /** How long each successful backup took, dump and upload. */
    public static final String BACKUP_DURATION = "relay.backup.duration";
    /** Live previews per app, read from the GitOps repository. */
    public static final String PREVIEWS_LIVE = "relay.previews.live";
    /** Notifications by sink and outcome (sent, dead-lettered, skipped). */
    public static final String NOTIFICATIONS = "relay.notifications";
    /** Mattermost calls tried again, by sink and reason. */
    public static final String NOTIFICATION_RETRIES = "relay.notification.retries";
    /** Time of each Mattermost call, by sink and outcome. */
    public static final String NOTIFICATION_CALLS = "relay.notification";
    /** 1 while a readiness check is up, 0 while it is down, one series per check. */
    public static final String READINESS = "relay.readiness";

    /** Records a relay consumer group has not committed yet, per group, from the brokers' committed offsets. */
    public static final String CONSUMER_LAG = "relay.consumer.lag.records";

    /** Consumer lag measurements that failed, per group (the gauge keeps its last value meanwhile). */
    public static final String CONSUMER_LAG_FAILURES = "relay.consumer.lag.failures";

    /** Events the monitor could not count (logged with their id), by type. */
    public static final String MONITOR_SKIPPED = "relay.monitor.skipped";

    private RelayMetrics() {
    }
}
