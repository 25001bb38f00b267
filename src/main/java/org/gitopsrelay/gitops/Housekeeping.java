package org.gitopsrelay.gitops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;

/**
 * Packing of the repositories the relay owns (its cache, and the local GitOps repository when there is no remote).
 * Every push and fetch leaves a pack, every commit built in memory a few loose objects; Git packs them into one when
 * they pile up. JGit does that on its own after a fetch or a received push, in a background thread, at whatever
 * moment the count is crossed: with 10,000 previews that is seconds of repacking on a 2-core machine in the middle of
 * a burst. So the relay turns JGit's automatic packing off and packs when it has been idle for a while, or at once
 * when the count is far past the limit (so a relay that is never idle still stays bounded).
 */
final class Housekeeping {

    /** Past this many times a limit, a repository is packed even while the relay is busy. */
    static final int HARD_FACTOR = 4;

    private Housekeeping() {
    }

    /** What piled up in a repository: packs, and loose objects. */
    record Count(int packs, int looseObjects) {
    }

    /** What to do about a repository now. */
    sealed interface Decision permits Fine, Wait, Pack {
    }

    /** Under the limits. */
    record Fine(Count count) implements Decision {
    }

    /** Over a limit, but the relay pushed too recently: packing now would slow the changes under way. */
    record Wait(Count count) implements Decision {
    }

    /** Pack now: over a limit and idle, or far over it. */
    record Pack(Count count, boolean busy) implements Decision {
    }

    /**
     * Over a limit: more than {@code packLimit} packs or {@code looseLimit} loose objects, as Git's {@code gc.auto}
     * and {@code gc.autoPackLimit} count them; packed when nothing was pushed for {@code idle}, or at once past
     * {@link #HARD_FACTOR} times a limit.
     */
    static Decision decide(Count count, int packLimit, int looseLimit, Duration sinceWrite, Duration idle) {
        boolean over = count.packs() > packLimit || count.looseObjects() > looseLimit;
        if (!over) {
            return new Fine(count);
        }
        if (sinceWrite.compareTo(idle) >= 0) {
            return new Pack(count, false);
        }
        boolean farOver = count.packs() > (long) packLimit * HARD_FACTOR
                || count.looseObjects() > (long) looseLimit * HARD_FACTOR;
        return farOver ? new Pack(count, true) : new Wait(count);
    }

    /**
     * Turns JGit's own automatic packing off in this repository: the relay packs it (see the class comment). Packs
     * whose objects went into the new one are removed at once, not after JGit's hour of grace: the relay packs under
     * its write lock, and removes only packs it saw when it began, so a push received meanwhile keeps its own.
     */
    static void takeOver(Repository repository) {
        StoredConfig config = repository.getConfig();
        String section = ConfigConstants.CONFIG_GC_SECTION;
        if (config.getInt(section, ConfigConstants.CONFIG_KEY_AUTO, -1) == 0
                && config.getInt(section, ConfigConstants.CONFIG_KEY_AUTOPACKLIMIT, -1) == 0
                && "now".equals(config.getString(section, null, ConfigConstants.CONFIG_KEY_PRUNEPACKEXPIRE))) {
            return;
        }
        config.setInt(section, null, ConfigConstants.CONFIG_KEY_AUTO, 0);
        config.setInt(section, null, ConfigConstants.CONFIG_KEY_AUTOPACKLIMIT, 0);
        config.setString(section, null, ConfigConstants.CONFIG_KEY_PRUNEPACKEXPIRE, "now");
        try {
            config.save();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the config of " + repository.getDirectory(), e);
        }
    }

    /** Packs and loose objects in a bare repository's object store, counted from its folders. */
    static Count count(Path gitDir) throws IOException {
        Path objects = gitDir.resolve("objects");
        int packs = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(objects.resolve("pack"), "*.pack")) {
            for (Path ignored : files) {
                packs++;
            }
        } catch (NoSuchFileException e) {
            // No pack yet.
        }
        int loose = 0;
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(objects, Housekeeping::isFanOut)) {
            for (Path folder : folders) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
                    for (Path ignored : files) {
                        loose++;
                    }
                } catch (NoSuchFileException e) {
                    // Emptied and removed by a packing under way.
                }
            }
        } catch (NoSuchFileException e) {
            // No object yet.
        }
        return new Count(packs, loose);
    }

    private static boolean isFanOut(Path path) {
        String name = path.getFileName().toString();
        return name.length() == 2 && Character.digit(name.charAt(0), 16) >= 0
                && Character.digit(name.charAt(1), 16) >= 0;
    }

    /**
     * Packs every reachable object into one pack (with bitmaps, so that a push walks only what is new). Unreachable
     * loose objects stay for Git's grace period of two weeks: a commit built but not yet pushed is never lost. A
     * repository of its own: the cache's open one finds the new pack when it next looks for an object.
     */
    static void pack(Path gitDir) {
        try (Git git = Git.open(gitDir.toFile())) {
            git.gc().call();
        } catch (IOException | GitAPIException | RuntimeException e) {
            throw new IllegalStateException("Cannot pack " + gitDir + ": " + e.getMessage(), e);
        }
    }
}
