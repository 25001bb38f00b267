package org.gitopsrelay.event;

/** CloudEvents {@code type} values, named {@code relay.<subject>.<verb>}. */
public final class EventTypes {
    public static final String GIT_PUSH = "relay.git.push";
    public static final String GIT_REF_CREATED = "relay.git.ref-created";
    public static final String GIT_REF_DELETED = "relay.git.ref-deleted";
    public static final String GIT_PULL_REQUEST = "relay.git.pull-request";

    public static final String DEPLOYMENT_COMMITTED = "relay.deployment.committed";
    public static final String DEPLOYMENT_FAILED = "relay.deployment.failed";
    /** An environment was returned to an image it ran before: counted as a change failure. */
    public static final String DEPLOYMENT_ROLLEDBACK = "relay.deployment.rolledback";

    /** Actions asked for through the API, on relay.git-events ({@link EnvironmentAction}). */
    public static final String PROMOTION_REQUESTED = "relay.promotion.requested";
    public static final String ROLLBACK_REQUESTED = "relay.rollback.requested";
    public static final String RESTART_REQUESTED = "relay.restart.requested";
    /** An environment's pods were told to restart (a new pod-template annotation); not a deployment. */
    public static final String DEPLOYMENT_RESTARTED = "relay.deployment.restarted";

    public static final String PREVIEW_CREATED = "relay.preview.created";
    public static final String PREVIEW_UPDATED = "relay.preview.updated";
    public static final String PREVIEW_DELETED = "relay.preview.deleted";
    public static final String PREVIEW_EXPIRED = "relay.preview.expired";
    /** A preview that was not created: the app's cap is reached, or the change cannot be deployed. */
    public static final String PREVIEW_REFUSED = "relay.preview.refused";

    public static final String APP_INVALID = "relay.app.invalid";

    /** Reports of backup and restore jobs, on relay.backups ({@link BackupReport}). */
    public static final String BACKUP_SUCCEEDED = "relay.backup.succeeded";
    public static final String BACKUP_FAILED = "relay.backup.failed";
    public static final String RESTORE_SUCCEEDED = "relay.restore.succeeded";
    public static final String RESTORE_FAILED = "relay.restore.failed";

    private EventTypes() {
    }
}
