// WebAuthn ceremonies: the one place the hosted pages need JavaScript. The server sends options as JSON
// (WebAuthn Level 3 JSON forms) and receives the credential as JSON; state stays in an HttpOnly cookie.
(() => {
  const supported = typeof window.PublicKeyCredential === "function"
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function"
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function";

  const show = (form, message) => {
    const status = form.querySelector("[data-passkey-status]");
    if (status) { status.textContent = message; status.hidden = false; }
  };

  const fetchOptions = async (form) => {
    const response = await fetch(form.dataset.optionsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("options " + response.status);
    return response.json();
  };

  const submitCredential = (form, credential) => {
    form.querySelector("input[name=Credential]").value = JSON.stringify(credential);
    form.dataset.submitted = "true";
    form.submit();
  };

  let conditional = null; // the pending autofill request on the sign-in page, if any

  // Sign in (or verify) with a passkey: a button press, modal UI.
  document.querySelectorAll("form[data-passkey=get]").forEach((form) => {
    if (!supported) return;
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      event.stopPropagation();
      if (conditional) conditional.abort();
      try {
        const options = await fetchOptions(form);
        const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
        submitCredential(form, credential);
      } catch (error) {
        show(form, error && error.name === "NotAllowedError"
          ? "No passkey was used. Try again, or use your password."
          : "Your passkey could not be used. Try again, or use your password.");
      }
    });
  });

  // Passkey autofill (conditional mediation) on the email field: autocomplete="username webauthn".
  const autofill = document.querySelector("form[data-passkey=get][data-conditional=on]");
  if (autofill && supported && typeof PublicKeyCredential.isConditionalMediationAvailable === "function") {
    PublicKeyCredential.isConditionalMediationAvailable().then(async (available) => {
      if (!available) return;
      conditional = new AbortController();
      try {
        const options = await fetchOptions(autofill);
        autofill.dataset.conditionalState = "armed";
        const credential = await navigator.credentials.get({
          mediation: "conditional",
          signal: conditional.signal,
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
        });
        submitCredential(autofill, credential);
      } catch {
        autofill.dataset.conditionalState = "ended";
      }
    });
  }

  // Add a passkey (account center).
  document.querySelectorAll("form[data-passkey=create]").forEach((form) => {
    if (!supported) { show(form, "This browser cannot create passkeys."); return; }
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      event.stopPropagation();
      try {
        const options = await fetchOptions(form);
        const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
        submitCredential(form, credential);
      } catch (error) {
        show(form, error && error.name === "InvalidStateError"
          ? "This device already has a passkey for your account."
          : "No passkey was created. Try again.");
      }
    });
  });
})();
