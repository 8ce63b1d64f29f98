package fwi.cloud.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Which files of a dataset folder train, validate and test a model. Splitting is by file, never
 * by sample, as OpenFWI does: samples of one file share generation settings.
 *
 * @param train file numbers N of the {@code dataN.npy}/{@code modelN.npy} pairs used for training
 * @param validation file numbers evaluated after each epoch
 * @param test file numbers held out for the final report
 */
public record DatasetSplit(List<Integer> train, List<Integer> validation, List<Integer> test) {
  public DatasetSplit {
    train = List.copyOf(train);
    validation = List.copyOf(validation);
    test = List.copyOf(test);
    if (train.isEmpty()) {
      throw new IllegalArgumentException("a split needs at least one training file, but has none");
    }
  }

  /**
   * OpenFWI's rule for the Vel family: files 1–48 train, 49 and above test; OpenFWI's training
   * script validates on the test files, and so does this split.
   */
  public static DatasetSplit openFwi(List<Integer> files) {
    List<Integer> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (int f : files) {
      (f <= 48 ? train : test).add(f);
    }
    return new DatasetSplit(train, test, test);
  }

  /**
   * For folders of any size (for example generated data): the first {@code trainFraction} of
   * the files in number order train, the next {@code validationFraction} validate, the rest test;
   * with three or more files each part gets at least one.
   */
  public static DatasetSplit fractions(List<Integer> files, double trainFraction, double validationFraction) {
    if (!(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1)) {
      throw new IllegalArgumentException("split fractions must satisfy 0 < train, 0 <= validation, train + validation <= 1,"
          + " but were train " + trainFraction + ", validation " + validationFraction);
    }
    List<Integer> sorted = files.stream().sorted().toList();
    int n = sorted.size();
    int nTrain = Math.max(1, (int) Math.round(n * trainFraction));
    int nVal = (int) Math.round(n * validationFraction);
    if (n >= 3) {
      nVal = Math.max(1, nVal);
      nTrain = Math.min(nTrain, n - nVal - 1);
    }
    nVal = Math.min(nVal, n - nTrain);
    return new DatasetSplit(sorted.subList(0, nTrain), sorted.subList(nTrain, nTrain + nVal),
        sorted.subList(nTrain + nVal, n));
  }

  /**
   * The split {@code spec} names for the files of {@code ds}: {@code openfwi} (the benchmark's file
   * numbers), {@code auto} (openfwi for a full-size folder, else 80/10/10, or 1/1 for two files) or
   * {@code T,V} fractions.
   *
   * @throws IllegalArgumentException naming the folder or the spec if the split leaves no validation file
   */
  public static DatasetSplit resolve(OpenFwiDataset ds, String spec) {
    List<Integer> files = ds.fileNumbers();
    if (files.isEmpty()) {
      throw new IllegalArgumentException(ds.folder() + " holds no dataN.npy/modelN.npy pairs");
    }
    DatasetSplit s;
    if (spec.equals("openfwi") || spec.equals("auto") && files.stream().anyMatch(f -> f > 48)) {
      s = openFwi(files);
    } else if (spec.equals("auto")) {
      s = files.size() == 2 ? new DatasetSplit(files.subList(0, 1), files.subList(1, 2), List.of())
          : fractions(files, 0.8, 0.1);
    } else {
      String[] p = spec.split(",");
      if (p.length != 2) {
        throw new IllegalArgumentException("the split (--split, fwi.compression.split) must be auto, openfwi or T,V fractions, but was '" + spec + "'");
      }
      try {
        s = fractions(files, Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the split fractions must be numbers, but were '" + spec + "'");
      }
    }
    if (s.validation().isEmpty()) {
      throw new IllegalArgumentException("training needs at least one validation file, but the split of " + files
          + " by '" + spec + "' leaves none (a folder needs at least two file pairs)");
    }
    return s;
  }
}
