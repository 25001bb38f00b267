package org.gitopsrelay.event;

import java.time.Instant;

/**
 * What happened in a source repository, the same for every provider. Carried as the {@code data} of a git
 * CloudEvent whose subject names the app it concerns.
 */
public sealed interface GitChange permits GitChange.Push, GitChange.RefCreated, GitChange.RefDeleted,
        GitChange.PullRequest {

    String ZERO_SHA = "0000000000000000000000000000000000000000";

    SourceRepo repo();

    /** CloudEvents type of this change. */
    String type();

    enum RefKind {
        BRANCH,
        TAG
    }

    /**
     * Commits pushed to a branch or a tag. {@code headCommit} is the commit the ref points at after the push (for an
     * annotated tag, the commit and not the tag object); {@code pushedAt} orders pushes of one repository;
     * {@code committedAt} is the time of the oldest commit the push brings (the head commit's when it lists none),
     * where DORA lead time starts.
     */
    record Push(SourceRepo repo, RefKind refKind, String refName, String before, String after, String headCommit,
            int commitCount, String pusher, Instant pushedAt, Instant committedAt, boolean created, boolean deleted,
            boolean forced)
            implements GitChange {
        @Override
        public String type() {
            return EventTypes.GIT_PUSH;
        }
    }

    record RefCreated(SourceRepo repo, RefKind refKind, String refName, String sender) implements GitChange {
        @Override
        public String type() {
            return EventTypes.GIT_REF_CREATED;
        }
    }

    record RefDeleted(SourceRepo repo, RefKind refKind, String refName, String sender) implements GitChange {
        @Override
        public String type() {
            return EventTypes.GIT_REF_DELETED;
        }
    }

    record PullRequest(SourceRepo repo, String action, int number, String title, String author, String headBranch,
            String headCommit, String baseBranch, boolean fromFork, boolean merged, String url, Instant updatedAt)
            implements GitChange {
        @Override
        public String type() {
            return EventTypes.GIT_PULL_REQUEST;
        }
    }
}
