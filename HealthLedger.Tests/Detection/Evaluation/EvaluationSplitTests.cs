using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection.Evaluation;

public sealed class EvaluationSplitTests
{
    [Test]
    public void Blocked_split_cuts_contiguous_blocks_and_the_last_may_be_short()
    {
        var (train, sets) = EvaluationSplit.Parse("""{"kind":"blocked","file":"w/x.csv","block_size":4,"train":[0,2],"validation":[1],"test":[3,1]}""");

        Assert.Multiple(() =>
        {
            Assert.That(train, Is.EqualTo("w/x.csv"));
            Assert.That(sets.Single().Name, Is.EqualTo("test"));
            Assert.That(sets.Single().BlocksFor(14), Is.EqualTo(new[] { new RowBlock(12, 14), new RowBlock(4, 8) }));
        });
    }

    [Test]
    public void Block_beyond_the_file_is_invalid_data()
    {
        var (_, sets) = EvaluationSplit.Parse("""{"kind":"blocked","file":"x.csv","block_size":4,"train":[],"validation":[],"test":[4]}""");

        Assert.That(() => sets[0].BlocksFor(16), Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void Files_split_names_every_test_file_as_one_block()
    {
        var (train, sets) = EvaluationSplit.Parse("""{"kind":"files","train":"nsl-kdd/T.txt","validation":{"from":"train","fraction":0.1},"test":{"KDDTest+":"nsl-kdd/A.txt","KDDTest-21":"nsl-kdd/B.txt"}}""");

        Assert.Multiple(() =>
        {
            Assert.That(train, Is.EqualTo("nsl-kdd/T.txt"));
            Assert.That(sets.Select(s => (s.Name, s.File)), Is.EqualTo(new[] { ("KDDTest+", "nsl-kdd/A.txt"), ("KDDTest-21", "nsl-kdd/B.txt") }));
            Assert.That(sets[0].BlocksFor(10), Is.EqualTo(new[] { new RowBlock(0, 10) }));
        });
    }

    [Test]
    public void Unknown_split_kind_is_invalid_data()
    {
        Assert.That(() => EvaluationSplit.Parse("""{"kind":"random","seed":1}"""), Throws.TypeOf<InvalidDataException>());
    }

    // Rows hold their own index as their single feature, so a window reads as the row indices it holds.
    [TestCase(10, 10, new[] { 10f, 10f, 10f })]
    [TestCase(11, 10, new[] { 10f, 10f, 11f })]
    [TestCase(15, 10, new[] { 13f, 14f, 15f })]
    [TestCase(2, 0, new[] { 0f, 1f, 2f })]
    public void Window_is_left_padded_with_its_earliest_row_and_never_crosses_its_block(int row, int blockStart, float[] expected)
    {
        var encoded = Enumerable.Range(0, 20).Select(i => (float)i).ToArray();
        var window = new float[3];

        EvaluationSplit.CopyWindow(encoded, 1, 3, blockStart, row, window);

        Assert.That(window, Is.EqualTo(expected));
    }

    [Test]
    public void Validation_of_a_blocked_split_is_its_validation_blocks()
    {
        var spec = EvaluationSplit.ParseValidation("""{"kind":"blocked","file":"w/x.csv","block_size":4,"train":[0,2],"validation":[1,3],"test":[4]}""");

        Assert.Multiple(() =>
        {
            Assert.That(spec.Name, Is.EqualTo("validation"));
            Assert.That(spec.File, Is.EqualTo("w/x.csv"));
            Assert.That(spec.BlocksFor(18), Is.EqualTo(new[] { new RowBlock(4, 8), new RowBlock(12, 16) }));
        });
    }

    [Test]
    public void Validation_of_a_files_split_is_its_row_range_of_the_training_file()
    {
        var spec = EvaluationSplit.ParseValidation("""{"kind":"files","train":"n/T.txt","test":{"A":"n/A.txt"},"validation":{"file":"n/T.txt","rows":[80,100]}}""");

        Assert.Multiple(() =>
        {
            Assert.That(spec.File, Is.EqualTo("n/T.txt"));
            Assert.That(spec.BlocksFor(100), Is.EqualTo(new[] { new RowBlock(80, 100) }));
            Assert.That(() => spec.BlocksFor(90), Throws.TypeOf<InvalidDataException>(), "a range beyond the file");
        });
    }

    [TestCase("""{"kind":"files","train":"n/T.txt","test":"n/A.txt"}""")]
    [TestCase("""{"kind":"files","train":"n/T.txt","test":"n/A.txt","validation":{"file":"n/T.txt","rows":[1]}}""")]
    [TestCase("""{"kind":"other","validation":[1]}""")]
    public void Split_without_rebuildable_validation_rows_is_invalid_data(string json)
    {
        Assert.That(() => EvaluationSplit.ParseValidation(json), Throws.TypeOf<InvalidDataException>());
    }
}
