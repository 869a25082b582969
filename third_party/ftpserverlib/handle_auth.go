package ftpserver

import (
	"crypto/tls"
	"fmt"
)

// msgAlreadyLoggedIn is the reply to USER and PASS once logged in (Wharf
// patch 32).
const msgAlreadyLoggedIn = "Already logged in: to use another account, open a new connection"

// Handle the "USER" command
func (c *clientHandler) handleUSER(user string) error {
	// Wharf patch 32: no USER once logged in. The session's rights and
	// TLS requirement are the logged-in account's, and a USER that let
	// the driver relax the TLS requirement for another account gave them
	// to this one. vsftpd refuses it too ("530 Can't change to another
	// user"); 503 is a bad sequence, not a failed login.
	if c.driver != nil {
		c.writeMessage(StatusBadCommandSequence, msgAlreadyLoggedIn)

		return nil
	}

	if verifier, ok := c.server.driver.(MainDriverExtensionUserVerifier); ok {
		err := verifier.PreAuthUser(c, user)
		if err != nil {
			c.writeMessage(StatusNotLoggedIn, fmt.Sprintf("User rejected: %v", err))
			_ = c.disconnect()

			return nil
		}
	}

	if c.isTLSRequired() && !c.HasTLSForControl() {
		// Wharf patch: 530 (not logged in), as vsftpd answers; 421 made
		// clients retry or report a timeout.
		c.writeMessage(StatusNotLoggedIn, "TLS is required: use AUTH TLS (explicit FTPS) or the implicit FTPS port")
		_ = c.disconnect()

		return nil
	}

	if c.HasTLSForControl() {
		if c.handleUserTLS(user) {
			return nil
		}
	}

	c.user = user
	c.writeMessage(StatusUserOK, "OK")

	return nil
}

func (c *clientHandler) handleUserTLS(user string) bool {
	verifier, interfaceFound := c.server.driver.(MainDriverExtensionTLSVerifier)

	if !interfaceFound {
		return false
	}

	tlsConn, interfaceFound := c.conn.(*tls.Conn)

	if !interfaceFound {
		return false
	}

	driver, err := verifier.VerifyConnection(c, user, tlsConn)
	if err != nil {
		c.writeMessage(StatusNotLoggedIn, fmt.Sprintf("TLS verification failed: %v", err))
		_ = c.disconnect()

		return true
	}

	if driver != nil {
		c.user = user
		c.driver = driver
		c.writeMessage(StatusUserLoggedIn, "TLS certificate ok, continue")

		return true
	}

	return false
}

// Handle the "PASS" command
func (c *clientHandler) handlePASS(param string) error {
	// Wharf patch 32: a second PASS would log in again over the live
	// session.
	if c.driver != nil {
		c.writeMessage(StatusBadCommandSequence, msgAlreadyLoggedIn)

		return nil
	}

	var err error
	var msg string
	c.driver, err = c.server.driver.AuthUser(c, c.user, param)

	dpa, ok := c.server.driver.(MainDriverExtensionPostAuthMessage)
	if ok {
		msg = dpa.PostAuthMessage(c, c.user, err)
	}

	switch {
	case err == nil && c.driver == nil:
		c.writeMessage(StatusNotLoggedIn, "Unexpected exception (driver is nil)")
		_ = c.disconnect()
	case err != nil:
		if msg == "" {
			msg = fmt.Sprintf("Authentication error: %v", err)
		}

		c.writeMessage(StatusNotLoggedIn, msg)
		_ = c.disconnect()
	default: // err == nil && c.driver != nil
		if msg == "" {
			msg = "Password ok, continue"
		}

		c.writeMessage(StatusUserLoggedIn, msg)
	}

	return nil
}
