package org.gitopsrelay.testing;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Run as a process of its own: exits 0 when it could take an exclusive lock on the file, 1 when another process holds
 * one. File locks belong to processes, so only another process can tell whether one is held.
 */
public final class LockProbe {

    private LockProbe() {
    }

    public static void main(String[] args) throws IOException {
        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = channel.tryLock()) {
            System.exit(lock == null ? 1 : 0);
        }
    }

    /** Whether another process can take the lock on {@code file} now. */
    public static boolean canLock(Path file) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process probe = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), file.toString()).redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes());
        int exit = probe.waitFor();
        if (exit != 0 && exit != 1) {
            throw new IllegalStateException("The lock probe failed (exit " + exit + "): " + output);
        }
        return exit == 0;
    }
}
