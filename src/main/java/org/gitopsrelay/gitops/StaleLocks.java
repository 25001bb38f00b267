package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

/**
 * The lock files Git leaves beside a ref when the process writing it dies ({@code kill -9}, a lost node). Git never
 * removes them itself: until someone does, every update of that ref fails. JGit's fetch reports it only as a result
 * of the tracking update, so a stale lock in the cache would look like another writer pushing first, forever.
 */
final class StaleLocks {

    private static final Logger LOG = Logger.getLogger(StaleLocks.class);

    /** Files beside the refs that Git locks while it rewrites them. */
    private static final List<String> TOP_LEVEL = List.of("HEAD.lock", "packed-refs.lock", "config.lock",
            "shallow.lock", "FETCH_HEAD.lock");

    private StaleLocks() {
    }

    /**
     * Removes the lock files of a repository's refs last touched before {@code before}: a live Git command holds a
     * lock for milliseconds, so one older than this process was left by a dead one. Returns the files removed.
     */
    static List<Path> clear(Path gitDir, FileTime before) {
        try (Stream<Path> refs = Files.exists(gitDir.resolve("refs")) ? Files.walk(gitDir.resolve("refs"))
                : Stream.empty()) {
            List<Path> candidates = Stream.concat(refs.filter(path -> path.getFileName().toString().endsWith(".lock")),
                    TOP_LEVEL.stream().map(gitDir::resolve)).filter(Files::isRegularFile).toList();
            List<Path> removed = candidates.stream().filter(lock -> olderThan(lock, before)).toList();
            for (Path lock : removed) {
                Files.deleteIfExists(lock);
                LOG.warnf("Removed %s, a Git lock file left by a process that died while it wrote there", lock);
            }
            return removed;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot clear the stale Git lock files in " + gitDir, e);
        }
    }

    private static boolean olderThan(Path file, FileTime before) {
        try {
            return Files.getLastModifiedTime(file).compareTo(before) < 0;
        } catch (IOException e) {
            // Gone meanwhile: its writer finished.
            return false;
        }
    }
}
