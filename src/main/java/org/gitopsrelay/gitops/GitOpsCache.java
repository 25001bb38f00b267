package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;

/**
 * The bare local copy of the remote branch ({@code <data-dir>/gitops-cache.git}), at the tracking ref the fetches
 * and pushes move: what every {@link Snapshot} reads, and the history searched for the commit an event made.
 */
final class GitOpsCache implements AutoCloseable {

    private final Path dir;
    private final String branch;
    private volatile Repository repository;
    private final CommitFacts.Cache facts = new CommitFacts.Cache();
    private Ownership owner;
    private boolean closed;

    /** Held by the process using the cache (the OS lets it go when that process dies, even by {@code kill -9}). */
    static final String OWNER_LOCK = "relay-owner.lock";

    GitOpsCache(Path dir, String branch) {
        this.dir = dir.toAbsolutePath().normalize();
        this.branch = branch;
    }

    String trackingRef() {
        return "refs/remotes/origin/" + branch;
    }

    Repository repository() {
        Repository opened = repository;
        if (opened == null) {
            synchronized (this) {
                if (closed) {
                    // After shutdown: opening again would take the owner's lock for good, and clear live locks.
                    // Retryable: the batch in flight is not acknowledged, and comes back after the restart.
                    throw new RelayException(Reason.STORAGE_UNAVAILABLE, "The GitOps cache in " + dir
                            + " is closed: the service is stopping");
                }
                if (repository == null) {
                    repository = open();
                }
                opened = repository;
            }
        }
        return opened;
    }

    private Repository open() {
        try {
            if (!Files.exists(dir.resolve("HEAD"))) {
                Files.createDirectories(dir);
                Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch(branch).call().close();
            }
        } catch (IOException | GitAPIException e) {
            throw new IllegalStateException("Cannot create the GitOps cache in " + dir + ": " + e.getMessage(), e);
        }
        if (owner == null) {
            owner = Ownership.take(ownerFile());
        }
        try {
            // This process alone writes here now: every lock file in the cache was left by one that died.
            StaleLocks.clear(dir, FileTime.from(Instant.MAX));
            Repository opened = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
            Housekeeping.takeOver(opened);
            return opened;
        } catch (IOException | UncheckedIOException e) {
            // Given back, so that the next attempt reports what failed, not another owner.
            owner.close();
            owner = null;
            throw new IllegalStateException("Cannot open the GitOps cache in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The repository if this process opened it already, else null: packing never opens it. */
    Repository openedOrNull() {
        return repository;
    }

    Path dir() {
        return dir;
    }

    /** The branch as last fetched or pushed. */
    Snapshot current() {
        Repository repo = repository();
        try (RevWalk walk = new RevWalk(repo)) {
            Ref ref = repo.exactRef(trackingRef());
            if (ref == null) {
                return empty();
            }
            RevCommit commit = walk.parseCommit(ref.getObjectId());
            return new Snapshot(repo, commit.getId(), commit.getTree(), facts);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps cache", e);
        }
    }

    /** The branch as it would be at a commit of the cache's object database (pushed or not). */
    Snapshot at(ObjectId commit) {
        try (RevWalk walk = new RevWalk(repository())) {
            RevCommit parsed = walk.parseCommit(commit);
            return new Snapshot(repository(), parsed.getId(), parsed.getTree(), facts);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps cache", e);
        }
    }

    Snapshot empty() {
        return new Snapshot(repository(), null, null, facts);
    }

    /** After a push, the cache knows the new tip without fetching it back. */
    void moveTo(ObjectId commit) {
        try {
            RefUpdate update = repository().updateRef(trackingRef());
            update.setNewObjectId(commit);
            update.setForceUpdate(true);
            RefUpdate.Result result = update.update();
            if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED
                    && result != RefUpdate.Result.FAST_FORWARD && result != RefUpdate.Result.NO_CHANGE) {
                // The push landed; the next attempt fetches it and finds the change already there.
                throw new RelayException(Reason.STORAGE_UNAVAILABLE, "Pushed " + commit.name()
                        + " but cannot record it in the GitOps cache: " + result);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot update the GitOps cache", e);
        }
    }

    /** The newest commit among the last {@code depth} of the branch whose message names the event in a trailer. */
    Optional<GitOpsRepository.EventCommit> eventCommit(String eventId, int depth) {
        Snapshot snapshot = current();
        if (snapshot.commitId() == null) {
            return Optional.empty();
        }
        String trailer = "\n" + PlannedCommit.TRAILER + eventId + "\n";
        Repository repo = repository();
        try (RevWalk walk = new RevWalk(repo)) {
            walk.markStart(walk.parseCommit(snapshot.commitId()));
            int seen = 0;
            for (RevCommit commit : walk) {
                if (commit.getFullMessage().contains(trailer)) {
                    Snapshot before = empty();
                    if (commit.getParentCount() > 0) {
                        RevCommit parent = walk.parseCommit(commit.getParent(0));
                        before = new Snapshot(repo, parent.getId(), parent.getTree(), facts);
                    }
                    return Optional.of(new GitOpsRepository.EventCommit(commit.name(), commit.getFullMessage(),
                            before));
                }
                if (++seen >= depth) {
                    break;
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the GitOps history", e);
        }
    }

    /** The owner's lock file by its real path: a data dir reached through a link is the same cache. */
    private Path ownerFile() {
        try {
            return dir.toRealPath().resolve(OWNER_LOCK);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot resolve the GitOps cache's folder " + dir + ": " + e, e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            Repository opened = repository;
            if (opened != null) {
                opened.close();
                repository = null;
            }
            if (owner != null) {
                owner.close();
                owner = null;
            }
        }
    }

    /**
     * The cache's owner: one process (and one cache object in it) at a time, so that two instances configured with
     * one {@code relay.data-dir} fail at start instead of moving each other's refs. An OS lock goes with the process,
     * even after {@code kill -9}. Within one process it is held once per file and its channel never opened twice:
     * closing any channel of a file gives up every lock the process holds on it.
     */
    private record Ownership(Path file, FileChannel channel, FileLock lock) {

        private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

        static Ownership take(Path file) {
            if (!HELD.add(file)) {
                throw inUse(file);
            }
            FileChannel channel = null;
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (java.nio.channels.OverlappingFileLockException e) {
                    // This process holds it under another name (a hard link): the channel stays open, as closing
                    // it would give that owner's lock away.
                    channel = null;
                    throw inUse(file);
                }
                if (lock == null) {
                    throw inUse(file);
                }
                return new Ownership(file, channel, lock);
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                HELD.remove(file);
                if (e instanceof IllegalStateException inUse) {
                    throw inUse;
                }
                // A file system without locks (some network or FUSE mounts) cannot keep two relays apart.
                throw new IllegalStateException("Cannot lock " + file + " to own the GitOps cache (" + e
                        + "): relay.data-dir must be on a local file system", e);
            }
        }

        private static IllegalStateException inUse(Path file) {
            return new IllegalStateException("The GitOps cache " + file.getParent()
                    + " is in use by another relay: give each instance its own relay.data-dir");
        }

        void close() {
            // Closing the channel releases the lock.
            closeQuietly(channel);
            HELD.remove(file);
        }

        private static void closeQuietly(FileChannel channel) {
            if (channel == null) {
                return;
            }
            try {
                channel.close();
            } catch (IOException e) {
                // Released by the OS at exit at the latest.
            }
        }
    }
}
