package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

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
        List<Path> candidates = new ArrayList<>();
        try {
            if (Files.isDirectory(gitDir.resolve("refs"))) {
                Files.walkFileTree(gitDir.resolve("refs"), new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                        if (file.getFileName().toString().endsWith(".lock")) {
                            candidates.add(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        // Gone while listed: a live Git command's lock, released meanwhile.
                        if (e instanceof NoSuchFileException) {
                            return FileVisitResult.CONTINUE;
                        }
                        throw e;
                    }
                });
            }
            TOP_LEVEL.stream().map(gitDir::resolve).filter(Files::isRegularFile).forEach(candidates::add);
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
