// The first training loss in a cell's saved output, in wordings copied from real notebooks
// (../shared/corpus and the public tutorials they come from).
#include <catch2/catch.hpp>

#include "semantic/history.h"

using lstmlint::semantic::first_training_loss;

namespace {
struct Case {
  const char* output;
  double value;
  bool first_step;
};
}  // namespace

TEST_CASE("training losses as real notebooks print them", "[saved-loss]") {
  const Case cases[] = {
      // Keras: the epoch's mean, after the epoch; val_loss is not a training loss.
      {"Epoch 1/10\n23750/23750 [==============================] - 16s 690us/sample - loss: 0.4935 - accuracy: 0.7452 - "
       "val_loss: 0.3798 - val_accuracy: 0.8328\n", 0.4935, false},
      {"Train on 20000 samples, validate on 5000 samples\nEpoch 1/10\n20000/20000 [==============================] - 111s - "
       "loss: 0.4965 - acc: 0.7648 - val_loss: 0.3620\n", 0.4965, false},
      // Keras progress updates saved with their carriage returns: batch 1's running loss.
      {"Epoch 1/5\n\r 1/32 [..............................] - ETA: 30s - loss: 0.6931\r 2/32 [>.....] - ETA: 15s - loss: 0.6925",
       0.6931, true},
      {"1724/1724 - 12s - loss: 1392.9260 - val_loss: 212.4303 - 12s/epoch - 7ms/step\n", 1392.926, false},
      // tqdm postfixes.
      {"100%|\xe2\x96\x88\xe2\x96\x88| 700/700 [06:26<00:00,  1.81it/s, loss=0.000433, tst_loss=0.0246]", 0.000433, false},
      // PyTorch loops: f-strings and format strings with other words around.
      {"Epoch:  0 | train loss: 2.3127 | test accuracy: 0.14\n", 2.3127, false},
      {"Epoch: 1/20... Step: 10... Loss: 3.2482... Val Loss: 3.2114\n", 3.2482, false},
      {"Epoch: 1, BCELoss: 0.6933905482292175\n", 0.6933905482292175, false},
      {"training loss is   0.7 and training accuracy is 12645/25000     50.58\n", 0.7, false},
      {"ep 0 , train loss = 1.2445591886838276\n", 1.2445591886838276, false},
      {"epoch   50,loss 0.106, time 19.4 sec\n", 0.106, false},
      {"Epoch [10/200], Loss: 1.2555\n", 1.2555, false},
      {"Train Loss: 1.328 | Train Acc: 58.49%\n", 1.328, false},
      {"epoch: 100 avg loss: 0.009472558752569402\n", 0.009472558752569402, false},
      {"epoch 0 | loss 0.41\n", 0.41, false},
      {"loss tensor(0.7021, grad_fn=<MseLossBackward0>)\n", 0.7021, false},
      // The first step: the loss before any update.
      {"Iteration 0 | Loss 4.58\nIteration 100 | Loss 2.10\n", 4.58, true},
      {"Epoch: 001/015 | Batch 000/266 | Loss: 0.7058\n", 0.7058, true},
      {"Step 1, Minibatch Loss= 2.6218, Training Accuracy= 0.086\n", 2.6218, true},
      {"Training iter #1500:   Batch Loss = 5.416760, Accuracy = 0.15266665816307068\n", 5.41676, false},
      {"Epoch 3, Batch 0, loss 0.21\n", 0.21, false},
      // A pandas DataFrame of a Keras history.
      {"       loss  val_loss\n0  0.4132  0.5120\n1  0.3011  0.4410\n", 0.4132, false},
  };
  for (const auto& c : cases) {
    INFO(c.output);
    auto found = first_training_loss(c.output);
    REQUIRE(found);
    CHECK(found->value == Approx(c.value));
    CHECK(found->first_step == c.first_step);
  }
}

TEST_CASE("validation, test and checkpoint losses are not training losses", "[saved-loss]") {
  const char* none[] = {
      "Test loss: 0.516\n",
      "Validation loss decreased (inf --> 3.930). Saving model ...\n",
      "Epoch 00001: val_loss improved from inf to 0.00398, saving model to best.h5\n",
      "Epoch 1/1000, Validation Loss: 0.0342\n",
      "| Test Loss: 3.780 | Test PPL:  43.833 |\n",
      "SequenceClassifierOutput(loss=None, logits=tensor([[-2.1124,  1.1787]]))\n",
      "train losses: [0.5, 0.4]\n",
      "loss nan\nloss inf\n",
      "plotting the losses\n",
  };
  for (const char* text : none) {
    INFO(text);
    CHECK_FALSE(first_training_loss(text));
  }
}
