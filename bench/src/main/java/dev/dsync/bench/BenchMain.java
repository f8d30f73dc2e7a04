package dev.dsync.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Locale;

/**
 * One entry point for every benchmark: {@code bin/dsync bench <name> [args]} runs
 * {@code dev.dsync.bench.<name>.<Name>Bench.run(BenchEnv, String[])}, so adding a bench needs no
 * wiring anywhere else. Each bench learns where the running platform is from {@link BenchEnv}.
 */
public final class BenchMain {

  public static void main(String[] args) throws Throwable {
    if (args.length == 0) {
      System.err.println("usage: bin/dsync bench <scim|reconciler|webhooks|audit|poller|platform> [args]");
      System.exit(2);
    }
    String name = args[0].toLowerCase(Locale.ROOT);
    String type = "dev.dsync.bench." + name + "." + Character.toUpperCase(name.charAt(0)) + name.substring(1) + "Bench";
    Method run;
    try {
      run = Class.forName(type).getMethod("run", BenchEnv.class, String[].class);
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      System.err.println("no benchmark '" + name + "' (looked for " + type + ".run(BenchEnv, String[]))");
      System.exit(2);
      return;
    }
    try {
      run.invoke(null, BenchEnv.fromEnvironment(), Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
    // A bench's HTTP clients and receivers may leave non-daemon threads behind; the table is out.
    System.exit(0);
  }
}
