<%@ page session="false" trimDirectiveWhitespaces="true"
         import="java.io.*,java.security.MessageDigest" %><%!
    /* Answers ANY HTTP method (PUT, DELETE, PROPFIND, PATCH, ...) with what Tomcat saw.
       A JSP's generated _jspService answers 405 to everything but GET/POST/HEAD (OPTIONS gets
       an Allow header), but JspServlet itself lets every method through to the page's
       service(ServletRequest, ServletResponse), which a declaration may override: so this page
       never reaches _jspService. No compiler besides Jasper's is needed. */
    @Override
    public void service(jakarta.servlet.ServletRequest sreq, jakarta.servlet.ServletResponse sres)
            throws jakarta.servlet.ServletException, IOException {
        jakarta.servlet.http.HttpServletRequest req = (jakarta.servlet.http.HttpServletRequest) sreq;
        jakarta.servlet.http.HttpServletResponse res = (jakarta.servlet.http.HttpServletResponse) sres;
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new jakarta.servlet.ServletException(e);
        }
        InputStream in = req.getInputStream();
        byte[] buf = new byte[65536];
        long total = 0;
        int r;
        while ((r = in.read(buf)) != -1) {
            md.update(buf, 0, r);
            total += r;
        }
        StringBuilder hex = new StringBuilder();
        for (byte x : md.digest()) hex.append(String.format("%02x", x & 0xff));
        StringBuilder b = new StringBuilder();
        b.append("method=").append(req.getMethod()).append('\n');
        b.append("requestURI=").append(req.getRequestURI()).append('\n');
        b.append("queryString=").append(req.getQueryString()).append('\n');
        b.append("contentLength=").append(req.getContentLengthLong()).append('\n');
        b.append("length=").append(total).append('\n');
        b.append("sha256=").append(hex).append('\n');
        b.append("node=").append(System.getProperty("jvm.route")).append('\n');
        byte[] out = b.toString().getBytes("UTF-8");
        res.setStatus(200);
        res.setContentType("text/plain;charset=UTF-8");
        res.setHeader("X-Seen-Method", req.getMethod());
        res.setContentLength(out.length);
        res.getOutputStream().write(out);
    }
%>
