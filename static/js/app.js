// Progressive enhancement only: every action works without this file.
document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const field = document.getElementById(copy.dataset.copy);
    if (field && navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(() => {
        copy.textContent = "Copied";
      });
    }
  }
});

// The create form: a secret goes to its owner by default, unless the owner is you. Follows
// the chosen owner until you pick a way yourself.
document.addEventListener("change", (event) => {
  const choice = document.querySelector("[data-deliver-me]");
  if (!choice) {
    return;
  }
  if (event.target.name === "deliver") {
    choice.dataset.touched = "yes";
  } else if (event.target.id === "owner_user_id" && !choice.dataset.touched) {
    const mine = event.target.value === choice.dataset.deliverMe;
    const radio = choice.querySelector(`input[value="${mine ? "show" : "owner"}"]`);
    if (radio) {
      radio.checked = true;
    }
  }
});
