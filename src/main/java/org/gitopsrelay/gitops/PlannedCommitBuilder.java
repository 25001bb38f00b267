package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;

/** Builds a planned change as a commit in the cache's object database, on top of a snapshot; nothing is pushed. */
final class PlannedCommitBuilder {

    private final String authorName;
    private final String authorEmail;

    PlannedCommitBuilder(String authorName, String authorEmail) {
        this.authorName = authorName;
        this.authorEmail = authorEmail;
    }

    /** The new commit; null when the change would leave the tree as it is. */
    ObjectId build(Repository repository, Snapshot snapshot, PlannedCommit plan) {
        try (ObjectInserter inserter = repository.newObjectInserter();
                ObjectReader reader = repository.newObjectReader()) {
            ObjectId tree = TreeUpdate.apply(reader, inserter, snapshot.tree(), plan.edit());
            if (snapshot.tree() != null && tree.equals(snapshot.tree().getId())) {
                return null;
            }
            PersonIdent author = new PersonIdent(authorName, authorEmail);
            org.eclipse.jgit.lib.CommitBuilder commit = new org.eclipse.jgit.lib.CommitBuilder();
            commit.setTreeId(tree);
            if (snapshot.commitId() != null) {
                commit.setParentId(snapshot.commitId());
            }
            commit.setAuthor(author);
            commit.setCommitter(author);
            commit.setMessage(plan.fullMessage());
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot build the GitOps commit", e);
        }
    }
}
